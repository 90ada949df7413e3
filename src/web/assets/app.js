// Progressive enhancement only: every page works without this. nhsuk-frontend's components check
// these classes before they start (its own template sets them with an inline script, which our
// Content-Security-Policy refuses).
import { initAll } from '../nhsuk-frontend.min.js';

document.body.classList.add('js-enabled', 'nhsuk-frontend-supported');
initAll();
