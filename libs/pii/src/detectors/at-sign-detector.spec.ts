import { detect } from '../../test-support/detect';

describe('Email', () => {
  it.each(['john.doe@example.com', 'ops+alerts@corp.example.co.uk', 'ADMIN@EXAMPLE.ORG', 'a_b-c%d@sub.example.io'])('finds %s', (email) => {
    expect(detect(`notify <${email}>.`)).toEqual([{ type: 'Email', value: email }]);
  });

  it('ignores object ids and user@host without a TLD', () => {
    expect(detect('java.lang.Object@6d06d69c root@localhost QuorumCnxManager$Listener@493')).toEqual([]);
  });
});
