/**
 * The web pages as a browser without JavaScript uses them, through supertest: an agent that keeps
 * its cookies, signs in on the sign-in form, and reads each form's hidden fields from the page.
 */
import type { Express } from 'express';
import request from 'supertest';

export type Agent = ReturnType<typeof request.agent>;

/** The value of the hidden field `name` on the page. */
export function hiddenField(html: string, name: string): string {
  const found = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!found) throw new Error(`no hidden field ${name} on the page`);
  return found[1] as string;
}

/** A new agent signed in with `token` (its session cookie kept), and the CSRF token of its session. */
export async function signedInAgent(app: Express, token: string): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/sign-in').expect(200);
  await agent.post('/sign-in').type('form').send({ _form: hiddenField(form.text, '_form'), token }).expect(303);
  // Any page shows the session's CSRF token in the header's sign-out form.
  const csrf = hiddenField((await agent.get('/signed-out').expect(200)).text, '_csrf');
  return { agent, csrf };
}
