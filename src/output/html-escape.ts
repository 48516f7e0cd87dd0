/** Text for an HTML page: control characters shown escaped and long values shortened (terminal.ts), then HTML's specials as entities. */
import { forDisplay } from './terminal.js';

export function esc(text: string, max?: number): string {
  return forDisplay(text, max).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
