/**
 * Whether an event name matches an AMQP topic pattern: words separated by `.`, `*` matching one
 * word and `#` zero or more. JetStreamServer matches handler patterns this way too, so one
 * controller (`@EventPattern('litestripe.#')`) serves RabbitMQ and JetStream alike.
 */
export function matchesTopicPattern(pattern: string, name: string): boolean {
  return matchWords(pattern.split('.'), name.split('.'));
}

function matchWords(pattern: string[], words: string[]): boolean {
  if (pattern.length === 0) return words.length === 0;
  const [head, ...rest] = pattern;
  if (head === '#') return words.some((_, skip) => matchWords(rest, words.slice(skip))) || matchWords(rest, []);
  if (words.length === 0) return false;
  return (head === '*' || head === words[0]) && matchWords(rest, words.slice(1));
}
