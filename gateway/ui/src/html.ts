/** `html\`…\`` templates for Preact (htm): no JSX build step, and values are always rendered as text. */
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);
