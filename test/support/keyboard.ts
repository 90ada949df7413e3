/**
 * A person with a keyboard and nothing else: focus moves only by Tab and Shift+Tab, choices are made
 * with the arrow keys, Space and typing, and things are done with Enter. Nothing here fills, checks,
 * selects or clicks an element: locators are used only to ask where focus is, or what is chosen.
 *
 * Every Tab is checked as it lands: the element focused must be visible and must show the NHS focus
 * style (its yellow, #ffeb3b), so a control that is unreachable, hidden while focused, or focused
 * without a visible indicator fails the test, naming the stops the Tab key went through.
 */
import { expect } from 'chai';
import type { Locator, Page } from 'playwright-core';

/** The NHS focus colour, as computed styles give it. */
const NHS_FOCUS_YELLOW = 'rgb(255, 235, 59)';

/** What has focus, in words for a failure message; whether it is the target, and visible with the NHS focus style. */
interface FocusStop {
  onTarget: boolean;
  description: string;
  visible: boolean;
  focusStyle: boolean;
}

/** Where focus is, asked of the target's elements in one call to the page (a Tab press costs one). */
function focusStop(target: Locator): Promise<FocusStop> {
  return target.evaluateAll((elements, yellow) => {
    const el = document.activeElement as HTMLElement | null;
    const onTarget = el !== null && elements.includes(el);
    if (!el || el === document.body) return { onTarget, description: '(nothing: the page itself)', visible: false, focusStyle: false };
    const labelled = (el as HTMLInputElement).labels?.[0]?.textContent ?? el.getAttribute('aria-label') ?? el.textContent ?? '';
    const value = el instanceof HTMLInputElement && ['radio', 'checkbox'].includes(el.type) ? `=${el.value}` : '';
    const description = `<${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.getAttribute('name') ? ` name=${el.getAttribute('name')}${value}` : ''}> "${labelled.replace(/\s+/g, ' ').trim().slice(0, 60)}"`;
    // Larger than the 1px box the design system's visually-hidden class leaves (the skip link grows when focused).
    const box = el.getBoundingClientRect();
    const visible = box.width > 1 && box.height > 1 && el.checkVisibility({ visibilityProperty: true });
    // The design system draws focus on the element itself (a link's or button's background, an
    // input's outline), or, for a radio or a checkbox, on the ::before of the label beside it.
    // (No function is declared in here: tsx would wrap it in a helper the page does not have.)
    const label = el instanceof HTMLInputElement ? el.nextElementSibling : null;
    const styles = [getComputedStyle(el), ...(label ? [getComputedStyle(label, '::before')] : [])];
    const focusStyle = styles.some((style) => style.backgroundColor === yellow || (style.outlineStyle !== 'none' && style.outlineColor === yellow) || style.boxShadow.includes(yellow));
    return { onTarget, description, visible, focusStyle };
  }, NHS_FOCUS_YELLOW);
}

/**
 * Presses Tab (Shift+Tab with `backwards`) until focus is on `target` (or on one of the elements
 * it matches: a radio group's radios), checking each stop is visible with the NHS focus style;
 * fails after `max` presses, naming where focus went. Focus already on the target counts as
 * reached, with no press.
 */
export async function tabTo(page: Page, target: Locator, { max = 40, backwards = false } = {}): Promise<void> {
  const found = await target.count();
  expect(found, `${target.toString()} is not on the page at all`).to.be.greaterThan(0);
  const stops: string[] = [];
  for (let presses = 0, stop = await focusStop(target); !stop.onTarget; presses += 1) {
    if (presses >= max) expect.fail(`${target.toString()} not reached by ${max} presses of ${backwards ? 'Shift+Tab' : 'Tab'} on ${page.url()}; focus went: ${stops.join(' → ')}`);
    await page.keyboard.press(backwards ? 'Shift+Tab' : 'Tab');
    stop = await focusStop(target);
    stops.push(stop.description);
    // The page itself between its last control and its first (the browser's own controls) is no stop of ours.
    if (stop.description.startsWith('(nothing')) continue;
    expect(stop.visible, `focus is on something not visible: ${stop.description} on ${page.url()}`).to.equal(true);
    expect(stop.focusStyle, `focus is not shown (no NHS yellow) on ${stop.description} on ${page.url()}`).to.equal(true);
  }
}

/** Tabs to a text box and types into it, replacing what it held (Ctrl+A selects it first). */
export async function typeInto(page: Page, target: Locator, text: string): Promise<void> {
  await tabTo(page, target);
  await page.keyboard.press('Control+A');
  await page.keyboard.type(text);
  expect(await target.inputValue(), `typed into ${target.toString()}`).to.equal(text);
}

/**
 * Answers the radio group `name` with `value`, as a person does: Tab into the group (focus lands on
 * its chosen radio, or its first), then the arrow key until the wanted one (which chooses it), or
 * Space if focus is on it already. Fails if the group is unreachable or the answer is not chosen.
 */
export async function answerRadios(page: Page, name: string, value: string): Promise<void> {
  const group = page.locator(`input[type="radio"][name="${name}"]`);
  await tabTo(page, group);
  const size = await group.count();
  const focusedValue = () => page.evaluate(() => (document.activeElement as HTMLInputElement).value);
  if ((await focusedValue()) === value) await page.keyboard.press('Space');
  for (let presses = 0; (await focusedValue()) !== value; presses += 1) {
    if (presses >= size) expect.fail(`no radio "${value}" in the group ${name} reached with the arrow keys on ${page.url()}`);
    await page.keyboard.press('ArrowDown');
  }
  expect(await page.locator(`input[type="radio"][name="${name}"]:checked`).getAttribute('value'), `the answer to ${name}`).to.equal(value);
}

/** Tabs to a checkbox and ticks it with Space (fails if it was ticked already, or Space does not tick it). */
export async function tick(page: Page, target: Locator): Promise<void> {
  await tabTo(page, target);
  expect(await target.isChecked(), `${target.toString()} was ticked already`).to.equal(false);
  await page.keyboard.press('Space');
  expect(await target.isChecked(), `Space ticked ${target.toString()}`).to.equal(true);
}

/** Tabs to a `<select>` and chooses the option whose text is `text` by typing it, as a person does on a closed list. */
export async function chooseOption(page: Page, select: Locator, text: string): Promise<void> {
  await tabTo(page, select);
  await page.keyboard.type(text);
  expect(await select.evaluate((el: HTMLSelectElement) => el.selectedOptions[0]?.textContent?.trim()), `typed "${text}" in ${select.toString()}`).to.equal(text);
}

/** Tabs to a link or button and presses Enter on it (a form's button sends the form). */
export async function activate(page: Page, target: Locator, options: { max?: number; backwards?: boolean } = {}): Promise<void> {
  await tabTo(page, target, options);
  await page.keyboard.press('Enter');
}

/** The element with focus is `target` (the error summary, as the design system's script moves focus to it). */
export async function expectFocusOn(page: Page, target: Locator, why: string): Promise<void> {
  const stop = await focusStop(target);
  expect(stop.onTarget, `${why}: focus is on ${stop.description}`).to.equal(true);
}
