import { detect } from '../../test-support/detect';

describe('DateOfBirth', () => {
  it.each([
    ['2024-03-01 INFO patient intake dob: 1984-03-12 ward=4', '1984-03-12'],
    ['{"name":"Jane Roe","dateOfBirth":"1984-03-12","plan":"gold"}', '1984-03-12'],
    ['{"msg":"{\\"date_of_birth\\":\\"12/03/1984\\"}"}', '12/03/1984'],
    ['KYC check failed: date of birth 03/12/1984 does not match', '03/12/1984'],
    ['D.O.B.: 12.03.1984 verified by agent 17', '12.03.1984'],
    ['applicant born 3 March 1984 in Leeds', '3 March 1984'],
    ['member birthdate=March 3, 1984 tier=2', 'March 3, 1984'],
    ['Born on 12-Mar-1984, registered 2019', '12-Mar-1984'],
    ['birth_date=1984/3/12', '1984/3/12'],
    ['patientDob=1990-01-02', '1990-01-02'],
  ])('finds the date in %s', (line, date) => {
    expect(detect(line)).toEqual([{ type: 'DateOfBirth', value: date }]);
  });

  it.each([
    ['a date without a keyword', '2024-03-12 10:00:00 INFO job done on 12/03/2024'],
    ['a keyword inside another word', 'adobe reader 2024-01-01 and stubborn 2024-01-01'],
    ['an impossible date', 'dob: 1984-13-45'],
    ['a version after the keyword', 'dob 1.2.3.4 released'],
  ])('ignores %s', (_what, line) => {
    expect(detect(line).filter((f) => f.type === 'DateOfBirth')).toEqual([]);
  });
});
