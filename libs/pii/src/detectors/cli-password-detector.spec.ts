import { detect } from '../../test-support/detect';

describe('passwords given to command-line tools', () => {
  it.each([
    ['Dec 10 03:00:01 db1 CRON[2211]: (root) CMD (mysqldump -uroot -pS3cretPass! --all-databases > /backup/all.sql)', '-pS3cretPass!'],
    ['+ mysql -h db1 -u app -p"Tr0ub4dor&3" app_prod -e "select 1"', '-p"Tr0ub4dor&3"'],
    ["+ /usr/bin/mysql -u root -p 'S3cr3t pass' -h db", "-p 'S3cr3t pass'"],
    ["exec mariadb -u root -p'hunter2!' shop", "-p'hunter2!'"],
    ['deploy.sh: sshpass -p Hunter2x ssh deploy@10.0.0.7 uptime', '-p Hunter2x'],
    ['healthcheck: redis-cli -h cache -a Sup3rS3cret ping', '-a Sup3rS3cret'],
  ])('covers the flag and its value in %s', (line, secret) => {
    expect(detect(line).filter((f) => f.type === 'Password')).toEqual([{ type: 'Password', value: secret }]);
  });

  it('still finds --password=… and --password … inside a command line', () => {
    expect(detect('2024-03-01 exec: mysqldump --password=Hunter2x -u root app').map((f) => f.value)).toEqual(['--password=Hunter2x']);
    expect(detect('2024-03-01 exec: psql --password Hunter2x -U app').map((f) => f.value)).toEqual(['--password Hunter2x']);
  });

  it.each([
    ['a prompt for the password and a database name', 'mysql -u root -p app_db'],
    ['an environment reference', 'mysql -P3306 -p$MYSQL_PWD -h db'],
    ['a -p of another command', 'mkdir -p /tmp/x && ssh -p 2222 host'],
    ['a command word inside another word', 'libmysqlclient -pthread'],
    ['an option after the command ended', 'mysql -h db; tar -pxf backup.tar'],
  ])('ignores %s', (_what, line) => {
    expect(detect(line)).toEqual([]);
  });
});
