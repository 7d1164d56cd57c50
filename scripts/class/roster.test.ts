import { describe, expect, it } from 'vitest';
import { parseRoster, RosterError } from './roster.ts';

/** The students of a one-line roster, as [name, host, port, part]. */
function one(line: string): Array<[string, string, number, string | undefined]> {
  return parseRoster(line, 'class.txt').map((s) => [s.name, s.target.host, s.target.port, s.part]);
}

describe('a roster line', () => {
  it.each([
    ['Ada 192.168.1.21:8888', ['Ada', '192.168.1.21', 8888, undefined]],
    ['Ada Lovelace\t192.168.1.21:8888   1', ['Ada Lovelace', '192.168.1.21', 8888, '1']],
    ['ada laptop-ada.local:8888 2b', ['ada', 'laptop-ada.local', 8888, '2b']],
    ['Ada [::1]:8888 part3', ['Ada', '::1', 8888, '3']],
    ['Ada,192.168.1.21:8888,2', ['Ada', '192.168.1.21', 8888, '2']],
    ['"Lovelace, Ada",192.168.1.21:8888,', ['Lovelace, Ada', '192.168.1.21', 8888, undefined]],
    ['Ada , Lovelace , 10.0.0.5:8888 , 1', ['Ada Lovelace', '10.0.0.5', 8888, '1']],
    ['"say ""hi""",10.0.0.5:8888', ['say "hi"', '10.0.0.5', 8888, undefined]],
  ] as const)('%j', (line, student) => {
    expect(one(line)).toEqual([student]);
  });

  it('skips comments, blank lines, a CSV header and a BOM, and counts lines from 1', () => {
    const text = '\uFEFFname,server,part\r\n# the front row\r\n\r\nAda,127.0.0.1:8861,1\r\n  \r\nGrace,127.0.0.1:8862\r\n';
    expect(parseRoster(text, 'class.csv').map((s) => [s.name, s.line])).toEqual([
      ['Ada', 4],
      ['Grace', 6],
    ]);
  });
});

describe('a malformed roster', () => {
  it.each([
    ['Ada 192.168.1.21', 'class.txt:2: no HOST:PORT on this line'],
    ['192.168.1.21:8888 1', 'class.txt:2: no name before HOST:PORT'],
    ['Ada 192.168.1.21:99999', "class.txt:2: '192.168.1.21:99999' is not HOST:PORT, e.g. localhost:8888"],
    ['Ada 192.168.1.21:8888 4', "class.txt:2: '4' is not a part: 1, 2, 2b, 3"],
    ['Ada 192.168.1.21:8888 1 extra', 'class.txt:2: too many fields after 192.168.1.21:8888: only the part may follow'],
    ['"Ada,192.168.1.21:8888', 'class.txt:2: a quote out of place'],
    ['Grace 192.168.1.22:8888', "class.txt:2: 'Grace' is already on line 1"],
  ])('%j: names the line', (line, message) => {
    const text = `Grace 192.168.1.9:8888\n${line}\n`;
    expect(() => parseRoster(text, 'class.txt')).toThrow(RosterError);
    expect(() => parseRoster(text, 'class.txt')).toThrow(message);
  });

  it('with no student at all says so', () => {
    expect(() => parseRoster('# nobody yet\n\n', 'class.txt')).toThrow('class.txt: no students');
  });
});
