import { hashDeferralMs } from './ingest.processor';

describe('hashDeferralMs: how long a hash job waits for the scan of its file', () => {
  it('waits about the scan’s own time at 20 MB/s, between 1 s and a minute', () => {
    expect(hashDeferralMs(20 * 1024, 0)).toBe(1000);
    expect(hashDeferralMs(200_000_000, 0)).toBe(10_000);
    expect(hashDeferralMs(10_000_000_000, 0)).toBe(60_000);
  });

  it('waits at least as long as it has waited, so a file behind a backlog of scans looks a handful of times, not once a second', () => {
    let waited = 0;
    let looks = 0;
    // A small file whose scan starts 5 minutes after upload, behind other files' scans.
    while (waited < 5 * 60_000) {
      waited += hashDeferralMs(20 * 1024, waited);
      looks += 1;
    }
    // 1 s, then doubling to the minute cap: 1+1+2+4+8+16+32 = 64 s, then once a minute.
    expect(looks).toBeLessThanOrEqual(12);
    expect(hashDeferralMs(20 * 1024, 30_000)).toBe(30_000);
    expect(hashDeferralMs(20 * 1024, 10 * 60_000)).toBe(60_000);
  });

  it('takes an unknown wait (a job without its creation time) as no wait at all, never NaN', () => {
    expect(hashDeferralMs(20 * 1024, Number.NaN)).toBe(1000);
  });
});
