/** XML rendering shared by the EC2 and awsQuery response formats. */

export type XmlValue = string | number | boolean | Date | null | undefined | XmlValue[] | XmlObject | XmlMap;

/** An awsQuery map of strings, rendered as `<entry><key/><value/></entry>` items (SNS and SQS attributes). */
export class XmlMap {
  readonly entries: Readonly<Record<string, string>>;

  constructor(entries: Readonly<Record<string, string>>) {
    this.entries = entries;
  }
}
export interface XmlObject {
  readonly [key: string]: XmlValue;
}

/**
 * Escapes text for an XML element. Line breaks and other control characters are written as character
 * references because the SDK's parser normalizes raw CR/LF and drops whitespace-only text.
 */
export function escapeXml(value: string): string {
  let escaped = '';
  for (const char of value) escaped += ESCAPES[char] ?? (isControl(char) ? `&#x${hexCode(char)};` : char);
  return escaped;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** C0 controls other than tab, plus NEL and LINE SEPARATOR, which XML parsers treat as line breaks. */
function isControl(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return (code < 0x20 && code !== 0x09) || code === 0x85 || code === 0x2028;
}

function hexCode(char: string): string {
  return (char.codePointAt(0) ?? 0).toString(16).toUpperCase();
}

/** Renders an object's members as elements; list items are wrapped in `itemElement` (`member` or `item`). */
export function renderXml(value: XmlObject, itemElement: string): string {
  return Object.entries(value)
    .map(([name, member]) => renderElement(name, member, itemElement))
    .join('');
}

function renderElement(name: string, value: XmlValue, itemElement: string): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) {
    const items = value.map((item) => renderElement(itemElement, item, itemElement)).join('');
    return items === '' ? `<${name}/>` : `<${name}>${items}</${name}>`;
  }
  if (value instanceof Date) return `<${name}>${value.toISOString()}</${name}>`;
  if (value instanceof XmlMap) {
    const entries = Object.entries(value.entries)
      .map(([key, item]) => `<entry><key>${escapeXml(key)}</key><value>${escapeXml(item)}</value></entry>`)
      .join('');
    return `<${name}>${entries}</${name}>`;
  }
  if (typeof value === 'object') return `<${name}>${renderXml(value, itemElement)}</${name}>`;
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}
