import { detect } from '../../test-support/detect';

describe('Hostname', () => {
  it.each([
    'proxy.cse.cuhk.edu.hk',
    'db-01.prod.example.com',
    'ip-10-0-1-23.ec2.internal',
    'kafka-0.kafka-headless.default.svc.cluster.local',
    'mail.example.co.uk',
    'api.acme.io',
    'DC01.CORP.EXAMPLE.COM',
    'ns.marryaldkfaczcz.com',
    'www.example.in',
    'myapp.vercel.app',
  ])('finds %s', (host) => {
    expect(detect(`connecting to ${host}:443`)).toEqual([{ type: 'Hostname', value: host }]);
  });

  it('finds a host name in a Kubernetes object reference', () => {
    expect(detect('node/ip-10-0-1-23.ec2.internal NotReady')).toEqual([{ type: 'Hostname', value: 'ip-10-0-1-23.ec2.internal' }]);
  });

  it('finds the host of a URL without credentials', () => {
    expect(detect('GET https://api.github.com/repos')).toEqual([{ type: 'Hostname', value: 'api.github.com' }]);
  });

  it.each([
    ['a class name', 'at java.lang.String.valueOf(String.java:42)'],
    ['a reverse-DNS package', 'com.example.app and org.apache.commons.io'],
    ['file names', 'app.log config.yaml setup.py Makefile.in README.md libc.so.6 deploy.sh report.pdf logs.zip'],
    ['a macOS bundle', 'launched Safari.app'],
    ['Java property names', 'user.name user.home mapred.job.id log.info'],
    ['a path', 'reading /srv/www/example.com/site.conf and C:\\sites\\example.com'],
    ['a mixed-case suffix', 'System.Net.Http and ASP.NET'],
    ['a single label', 'host LabSZ and localhost'],
  ])('ignores %s', (_what, text) => {
    expect(detect(text)).toEqual([]);
  });
});
