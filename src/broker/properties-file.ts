/**
 * Java `.properties` text (Kafka's `server.properties`), as `java.util.Properties.load` reads it:
 *
 *   # comment            a line whose first non-blank character is '#' or '!'
 *   key=value            separator '=' or ':' or whitespace, blanks around it ignored
 *   key = a long \       a line ending in an odd number of backslashes continues on the next
 *         value          line, whose leading blanks are dropped
 *   k\:ey=x\ty\u0041     escapes: \t \n \r \f \uXXXX, and '\' before any other character
 *                        stands for that character
 *
 * Later keys win. Returns entries in file order.
 */

const BLANK = new Set([' ', '\t', '\f']);

function logicalLines(text: string): string[] {
  const natural = text.split(/\r\n|\r|\n/);
  const out: string[] = [];
  let current: string | null = null;
  for (const raw of natural) {
    let line = raw;
    if (current !== null) {
      let i = 0;
      while (i < line.length && BLANK.has(line[i]!)) i++;
      line = line.slice(i);
    } else {
      let i = 0;
      while (i < line.length && BLANK.has(line[i]!)) i++;
      if (i === line.length || line[i] === '#' || line[i] === '!') continue;
      line = line.slice(i);
    }
    let slashes = 0;
    for (let i = line.length - 1; i >= 0 && line[i] === '\\'; i--) slashes++;
    const continues = slashes % 2 === 1;
    const body = continues ? line.slice(0, -1) : line;
    current = current === null ? body : current + body;
    if (!continues) {
      out.push(current);
      current = null;
    }
  }
  if (current !== null) out.push(current);
  return out;
}

function unescape(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c !== '\\' || i === text.length - 1) {
      out += c;
      continue;
    }
    const next = text[++i]!;
    switch (next) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = text.slice(i + 1, i + 5);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new SyntaxError(`malformed \\uxxxx escape in "${text}"`);
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += next;
    }
  }
  return out;
}

export function parseProperties(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  for (const line of logicalLines(text)) {
    let i = 0;
    let escaped = false;
    for (; i < line.length; i++) {
      const c = line[i]!;
      if (escaped) {
        escaped = false;
        continue;
      }
      if (c === '\\') escaped = true;
      else if (c === '=' || c === ':' || BLANK.has(c)) break;
    }
    const key = unescape(line.slice(0, i));
    let j = i;
    while (j < line.length && BLANK.has(line[j]!)) j++;
    if (j < line.length && (line[j] === '=' || line[j] === ':')) j++;
    while (j < line.length && BLANK.has(line[j]!)) j++;
    entries.set(key, unescape(line.slice(j)));
  }
  return entries;
}
