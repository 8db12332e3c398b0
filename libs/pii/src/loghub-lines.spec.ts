import { detect } from '../test-support/detect';

// Real lines from the loghub samples (logpai/loghub, 2k-line samples; research use, Zhu et al., ISSRE 2023),
// chosen for the false positives a pattern-only scanner makes on them.
const LINES: [string, [string, string][]][] = [
  [
    'Dec 10 09:12:37 LabSZ sshd[24494]: Failed password for invalid user PlcmSpIp from 103.99.0.122 port 51966 ssh2',
    [['IPv4', '103.99.0.122']],
  ],
  [
    'Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!',
    [
      ['Hostname', 'ns.marryaldkfaczcz.com'],
      ['IPv4', '173.234.31.186'],
    ],
  ],
  ['Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown', []],
  [
    'Jun 15 02:04:59 combo sshd(pam_unix)[20885]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root',
    [['Hostname', '220-135-151-1.hinet-ip.hinet.net']],
  ],
  [
    '081109 204005 35 INFO dfs.FSNamesystem: BLOCK* NameSystem.addStoredBlock: blockMap updated: 10.251.73.220:50010 is added to blk_7128370237687728475 size 67108864',
    [['IPv4', '10.251.73.220']],
  ],
  ['081110 103840 9117 INFO dfs.DataNode$PacketResponder: PacketResponder 2 for block blk_-6991853982611346454 terminating', []],
  [
    '2015-10-18 18:01:48,963 INFO [main] org.apache.hadoop.mapreduce.v2.app.MRAppMaster: Kind: YARN_AM_RM_TOKEN, Service: , Ident: (appAttemptId { application_id { id: 20 cluster_timestamp: 1445144423722 } attemptId: 1 } keyId: -127633188)',
    [],
  ],
  ['20171223-22:15:29:606|Step_LSC|30002312|onStandStepChanged 3579', []],
  ['20171223-22:15:29:636|Step_SPUtils|30002312|setTodayTotalDetailSteps=1514038440000##7007##548365##8661##12361##27173954', []],
  [
    '03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken = AppWindowToken{9f4ef63 token=Token{a64f992 ActivityRecord{de9231d u0 com.tencent.qt.qtl/.activity.info.NewsDetailXmlActivity t761}}}, allDrawn= false',
    [],
  ],
  [
    'Jul  1 09:00:55 calvisitor-10-105-160-95 kernel[0]: IOThunderboltSwitch<0>(0x0)::listenerCallback - Thunderbolt HPD packet for route = 0x0 port = 11 unplug = 0',
    [],
  ],
  [
    '2016-09-28 04:30:31, Info                  CSI    00000001@2016/9/27:20:30:31.455 WcpInitialize (wcp.dll version 0.0.0.6) called (stack @0x7fed806eb5d @0x7fef9fb9b6d)',
    [],
  ],
  [
    '2016-09-28 04:30:30, Info                  CBS    Loaded Servicing Stack v6.1.7601.23505 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_6.1.7601.23505_none_681aa442f6fed7f0\\cbscore.dll',
    [],
  ],
  [
    '2015-07-29 19:04:12,394 - INFO  [/10.10.34.11:3888:QuorumCnxManager$Listener@493] - Received connection request /10.10.34.11:45307',
    [
      ['IPv4', '10.10.34.11'],
      ['IPv4', '10.10.34.11'],
    ],
  ],
  [
    '2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200',
    [['IPv6', '0:0:0:0:0:0:0:0']],
  ],
  [
    '[10.30 16:49:06] chrome.exe - proxy.cse.cuhk.edu.hk:5070 open through proxy proxy.cse.cuhk.edu.hk:5070 HTTPS',
    [
      ['Hostname', 'proxy.cse.cuhk.edu.hk'],
      ['Hostname', 'proxy.cse.cuhk.edu.hk'],
    ],
  ],
  [
    '134681 node-246 unix.hw state_change.unavailable 1077804742 1 Component State Change: Component \\042SCSI-WWID:01000010:6005-08b4-0001-00c6-0006-3000-003d-0000\\042 is in the unavailable state (HWID=1973)',
    [],
  ],
  ['119082 Interconnect-0N00 switch_module fan 1129155045 1 Fan speeds ( 3552 3534 3375 4530 3515 3479 )', []],
  [
    '- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO instruction cache parity error corrected',
    [],
  ],
  ['[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties', []],
  ['17/06/09 20:10:40 INFO spark.SecurityManager: Changing view acls to: yarn,curi', []],
  [
    'nova-api.log.1.2017-05-16_13:53:08 2017-05-16 00:00:00.008 25746 INFO nova.osapi_compute.wsgi.server [req-38101a0b-2096-447d-96ea-a692162415ae 113d3a99c3da401fbd62cc2caa5b96d2 54fadb412c4e40cdbaed9335e4c35a9e - - -] 10.11.10.1 "GET /v2/54fadb412c4e40cdbaed9335e4c35a9e/servers/detail HTTP/1.1" status: 200 len: 1893 time: 0.2477829',
    [['IPv4', '10.11.10.1']],
  ],
  [
    '- 1131566683 2005.11.09 bn364 Nov 9 12:04:43 bn364/bn364 ntpd[28894]: synchronized to 10.100.14.250, stratum 3',
    [['IPv4', '10.100.14.250']],
  ],
];

describe('real log lines', () => {
  it.each(LINES)('%s', (line, expected) => {
    expect(detect(line).map((f) => [f.type, f.value])).toEqual(expected);
  });
});
