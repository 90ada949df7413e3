/* Generated from schemas/referral.schema.json by src/tools/generate-types.ts. Do not edit: run npm run types:generate. */

/**
 * MSK referral contract, version 1.1: the structured referral every GP system sends. Version 1.1 only adds optional items: every version 1 referral stays valid and means the same.
 */
export interface Referral {
  /**
   * the referring system's own id for this referral
   */
  externalReference?: string;
  patient: {
    /**
     * NHS number: 10 digits with a valid Modulus 11 check digit, sent as a string
     */
    nhsNumber: string;
    /**
     * date of birth, YYYY-MM-DD, not in the future, age at most 120
     */
    dateOfBirth: string;
    /**
     * sex as recorded by the practice
     */
    sex: 'female' | 'male' | 'other' | 'unknown';
  };
  referrer: {
    /**
     * ODS code of the referring GP practice
     */
    odsCode: string;
    clinicianName?: string;
  };
  complaint: {
    /**
     * main site of the problem
     */
    bodySite:
      | 'lumbar-spine'
      | 'thoracic-spine'
      | 'cervical-spine'
      | 'shoulder'
      | 'elbow'
      | 'wrist-hand'
      | 'hip'
      | 'knee'
      | 'ankle-foot'
      | 'multiple-joints';
    /**
     * side of the body affected
     */
    side: 'left' | 'right' | 'bilateral' | 'not-applicable';
    /**
     * how long the current episode has lasted, in weeks
     */
    durationWeeks: number;
    /**
     * how the current episode began
     */
    onset: 'gradual' | 'sudden' | 'injury';
    /**
     * numeric rating scale, worst in the last week
     */
    painScore: number;
  };
  /**
   * the red-flag checklist: each of the 15 version 1 items must be answered true or false; sexualDysfunction (1.1) is optional and counts as false when absent
   */
  redFlags: {
    /**
     * numbness in the saddle, perianal or genital area
     */
    saddleAnaesthesia: boolean;
    /**
     * new or worsening retention, hesitancy, incontinence or altered sensation
     */
    bladderOrBowelDysfunction: boolean;
    /**
     * new radicular pain, numbness or weakness in both legs (neurological symptoms, not pain in both knees or hips)
     */
    bilateralLegSymptoms: boolean;
    /**
     * worsening limb weakness, numbness or gait
     */
    progressiveNeurologicalDeficit: boolean;
    /**
     * past or current cancer
     */
    historyOfCancer: boolean;
    /**
     * unexplained weight loss
     */
    unexplainedWeightLoss: boolean;
    /**
     * non-mechanical pain that wakes the patient at night
     */
    nightPain: boolean;
    /**
     * fever or systemically unwell
     */
    feverOrSystemicallyUnwell: boolean;
    /**
     * immunosuppressed, including long-term oral steroids
     */
    immunosuppressed: boolean;
    /**
     * intravenous drug use
     */
    intravenousDrugUse: boolean;
    /**
     * suspected fracture
     */
    suspectedFracture: boolean;
    /**
     * a hot, swollen, tender joint with restricted movement
     */
    hotSwollenJoint: boolean;
    /**
     * unreduced dislocation
     */
    unreducedDislocation: boolean;
    /**
     * an unexplained lump or swelling, especially if growing
     */
    unexplainedMass: boolean;
    /**
     * new headache, jaw claudication, scalp tenderness or visual disturbance
     */
    giantCellArteritisSymptoms: boolean;
    /**
     * (1.1, optional) new sexual dysfunction, such as new erectile or ejaculatory dysfunction or loss of genital sensation; absent means not asked and counts as false
     */
    sexualDysfunction?: boolean;
  };
  /**
   * examination findings; absent items mean false
   */
  findings?: {
    /**
     * cannot actively raise the arm above 90°
     */
    cannotAbductArm?: boolean;
    /**
     * cannot fully extend the knee, mechanical block
     */
    lockedKnee?: boolean;
    /**
     * thenar wasting
     */
    thenarWasting?: boolean;
    /**
     * constant numbness in the median nerve distribution
     */
    constantNumbness?: boolean;
    /**
     * unable to weight-bear
     */
    unableToWeightBear?: boolean;
    /**
     * (1.1) suspected Achilles tendon rupture: a positive calf-squeeze (Simmonds) test or a palpable gap
     */
    suspectedAchillesRupture?: boolean;
    /**
     * (1.1) a shoulder dislocation in the last 6 weeks, now reduced
     */
    recentReducedDislocation?: boolean;
  };
  inflammatory?: {
    /**
     * clinically swollen joints
     */
    swollenJointCount?: number;
    /**
     * swelling of small joints of hands or feet (MCP, PIP, MTP)
     */
    smallJointsHandsFeet?: boolean;
    /**
     * duration of early-morning stiffness, in minutes
     */
    morningStiffnessMinutes?: number;
    /**
     * features of axial spondyloarthritis present (NICE NG65 §1.1); the deprecated arthritis-enthesitis-or-psoriasis may not come with current-or-past-arthritis, enthesitis or psoriasis
     *
     * @maxItems 9
     */
    axialSpaFeatures?: (
      | 'onset-before-35'
      | 'wakes-second-half-of-night'
      | 'buttock-pain'
      | 'improves-with-movement'
      | 'improves-with-nsaids-within-48h'
      | 'first-degree-relative-with-spa'
      | 'arthritis-enthesitis-or-psoriasis'
      | 'current-or-past-arthritis'
      | 'enthesitis'
      | 'psoriasis'
    )[];
    /**
     * (1.1) result of an HLA-B27 test; absent means not-tested
     */
    hlaB27?: 'positive' | 'negative' | 'not-tested';
  };
  /**
   * Keele STarT Back Tool answers; required when complaint.bodySite is lumbar-spine
   */
  startBack?: {
    /**
     * leg pain
     */
    legPain: boolean;
    /**
     * shoulder or neck pain
     */
    shoulderOrNeckPain: boolean;
    /**
     * only walked short distances because of back pain
     */
    walkedShortDistancesOnly: boolean;
    /**
     * dressed more slowly than usual because of back pain
     */
    dressedMoreSlowly: boolean;
    /**
     * not really safe for a person with this condition to be physically active
     */
    notSafeToBeActive: boolean;
    /**
     * worrying thoughts going through the mind a lot of the time
     */
    worryingThoughts: boolean;
    /**
     * feels back pain is terrible and will never get any better
     */
    painTerribleNeverBetter: boolean;
    /**
     * in general has not enjoyed all the things used to enjoy
     */
    notEnjoyedThings: boolean;
    /**
     * how bothersome the back pain has been in the last 2 weeks
     */
    bothersomeness: 'not-at-all' | 'slightly' | 'moderately' | 'very-much' | 'extremely';
  };
  history: {
    /**
     * weeks of exercise therapy, physiotherapy or other core non-surgical treatment already tried
     */
    nonSurgicalCareWeeks: number;
    /**
     * a steroid or other injection has already been tried for this problem
     */
    previousInjection: boolean;
    /**
     * impact on quality of life, work, sleep
     */
    impactOnLife: 'none' | 'mild' | 'moderate' | 'substantial';
    /**
     * patient would consider surgery and wants an opinion
     */
    wantsSurgicalOpinion: boolean;
  };
  /**
   * recorded only: no rule may route on it (NICE NG226 §1.11)
   */
  bmi?: number;
  /**
   * recorded only: no rule may route on it
   */
  smoker?: boolean;
  /**
   * free text; never evaluated by rules, never logged
   */
  notes?: string;
}
