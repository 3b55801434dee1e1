// Drive the engine with @ctrl/qbittorrent (Homarr's client): every call of its API that a
// download client of qBittorrent 5.0 (WebAPI 2.11.2) answers, each checked for its effect.
// Usage: node ctrl_qbittorrent.mjs CONFIG.json; prints one JSON line per call.
import { File } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { QBittorrent } from '@ctrl/qbittorrent';

globalThis.File ??= File; // a global from Node 20 on; Debian 12's Node 18 has it in node:buffer

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const client = new QBittorrent({
  baseUrl: config.baseUrl,
  username: config.username,
  password: config.password,
  timeout: 20000,
});
const torrent = new Uint8Array(readFileSync(config.torrentFile));
const { hash, magnetHash } = config;
let failures = 0;

function check(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

async function eventually(probe, message) {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await probe()) {
      return;
    }
    await new Promise(resolve => setTimeout(resolve, 100));
  }
  throw new Error(message);
}

async function call(name, run) {
  try {
    await run();
    console.log(JSON.stringify({ call: name, ok: true }));
  } catch (error) {
    failures += 1;
    const message = error?.data ?? error?.message ?? String(error);
    console.log(JSON.stringify({ call: name, ok: false, error: String(message).slice(0, 300) }));
  }
}

await call('login', async () => check(await client.login(), 'login refused'));
await call('getAppVersion', async () => check((await client.getAppVersion()) === 'v5.0.0', 'version'));
await call('version', async () => check((await client.version()).startsWith('v5'), 'version'));
await call('getApiVersion', async () => check((await client.getApiVersion()) === '2.11.2', 'api'));
await call('getDefaultSavePath', async () => check((await client.getDefaultSavePath()) === config.downloads, 'save path'));
await call('getBuildInfo', async () => check('libtorrent' in (await client.getBuildInfo()), 'build info'));
await call('getDirectoryContent', async () => {
  const entries = await client.getDirectoryContent(config.downloads);
  check(Array.isArray(entries), 'not a list');
});
await call('getPreferences', async () => check('dht' in (await client.getPreferences()), 'preferences'));
await call('setPreferences', async () => {
  await client.setPreferences({ max_active_downloads: 7 });
  check((await client.getPreferences()).max_active_downloads === 7, 'not applied');
});
await call('createCategory', async () => {
  await client.createCategory('tv', '');
  check('tv' in (await client.getCategories()), 'not created');
});
await call('editCategory', async () => {
  await client.editCategory('tv', 'tv-shows');
  check((await client.getCategories()).tv.savePath.endsWith('/tv-shows'), 'not edited');
});
await call('getCategories', async () => check((await client.getCategories()).tv.name === 'tv', 'categories'));
await call('createTags', async () => {
  await client.createTags('haul,homarr');
  check((await client.getTags()).includes('homarr'), 'not created');
});
await call('getTags', async () => check((await client.getTags()).includes('haul'), 'tags'));
await call('normalizedAddTorrent', async () => {
  const added = await client.normalizedAddTorrent(torrent, { label: 'tv', startPaused: true });
  check(added.id === hash && added.label === 'tv' && added.state === 'paused', JSON.stringify(added));
});
await call('addTorrent', async () => check(await client.addTorrent(torrent, { paused: 'true' }), 'add'));
await call('addMagnet', async () => {
  await client.addMagnet(config.magnet, { paused: 'true' });
  check((await client.getTorrent(magnetHash)).id === magnetHash, 'magnet not listed');
});
await call('getTorrent', async () => check((await client.getTorrent(hash)).totalSize > 0, 'torrent'));
await call('listTorrents', async () => {
  check((await client.listTorrents({ category: 'tv' })).length === 1, 'category filter');
  check((await client.listTorrents({ filter: 'paused' })).length === 2, 'paused filter');
  check((await client.listTorrents({ sort: 'name', reverse: true, limit: 1 })).length === 1, 'limit');
});
await call('getAllData', async () => {
  const data = await client.getAllData();
  check(data.torrents.length === 2 && data.labels.some(label => label.id === 'tv'), 'all data');
});
await call('getSyncMainData', async () => check(hash in (await client.getSyncMainData()).torrents, 'maindata'));
await call('torrentProperties', async () => check((await client.torrentProperties(hash)).hash === hash, 'properties'));
await call('torrentFiles', async () => check((await client.torrentFiles(hash)).length === config.files, 'files'));
await call('setFilePriority', async () => {
  await client.setFilePriority(hash, ['0'], 0);
  check((await client.torrentFiles(hash))[0].priority === 0, 'not skipped');
  await client.setFilePriority(hash, '0', 7);
  check((await client.torrentFiles(hash))[0].priority === 7, 'not maximum');
});
await call('torrentPieceStates', async () => check((await client.torrentPieceStates(hash)).length > 0, 'pieces'));
await call('torrentPieceHashes', async () => check((await client.torrentPieceHashes(hash)).length > 0, 'hashes'));
await call('torrentWebSeeds', async () => check(Array.isArray(await client.torrentWebSeeds(hash)), 'web seeds'));
await call('addTrackers', async () => {
  await client.addTrackers(hash, 'http://127.0.0.1:9/announce');
  const urls = (await client.torrentTrackers(hash)).map(tracker => tracker.url);
  check(urls.includes('http://127.0.0.1:9/announce'), JSON.stringify(urls));
});
await call('editTrackers', async () => {
  await client.editTrackers(hash, 'http://127.0.0.1:9/announce', 'http://127.0.0.1:9/other');
  const urls = (await client.torrentTrackers(hash)).map(tracker => tracker.url);
  check(urls.includes('http://127.0.0.1:9/other') && !urls.includes('http://127.0.0.1:9/announce'), JSON.stringify(urls));
});
await call('removeTrackers', async () => {
  await client.removeTrackers(hash, 'http://127.0.0.1:9/other');
  const urls = (await client.torrentTrackers(hash)).map(tracker => tracker.url);
  check(!urls.includes('http://127.0.0.1:9/other'), JSON.stringify(urls));
});
await call('torrentTrackers', async () => check((await client.torrentTrackers(hash))[0].url === '** [DHT] **', 'trackers'));
await call('setTorrentName', async () => {
  await client.setTorrentName(hash, 'Renamed by Homarr');
  check((await client.getTorrent(hash)).name === 'Renamed by Homarr', 'not renamed');
});
await call('renameFile', async () => {
  const [first] = await client.torrentFiles(hash);
  const renamed = first.name.replace(/[^/]*$/, 'renamed.bin');
  await client.renameFile(hash, first.name, renamed);
  await eventually(async () => (await client.torrentFiles(hash))[0].name === renamed, 'file not renamed');
});
await call('renameFolder', async () => {
  const [first] = await client.torrentFiles(hash);
  const folder = first.name.split('/')[0];
  await client.renameFolder(hash, folder, 'Folder.Renamed');
  await eventually(async () => (await client.torrentFiles(hash)).every(file => file.name.startsWith('Folder.Renamed/')), 'folder not renamed');
});
await call('setTorrentLocation', async () => {
  await client.setTorrentLocation(hash, config.location);
  await eventually(async () => (await client.getTorrent(hash)).savePath === config.location, 'not moved');
});
await call('setTorrentDownloadLimit', async () => {
  await client.setTorrentDownloadLimit(hash, 1048576);
  check((await client.getTorrentDownloadLimit(hash))[hash] === 1048576, 'download limit');
});
await call('getTorrentDownloadLimit', async () => check(hash in (await client.getTorrentDownloadLimit([hash, magnetHash])), 'limits'));
await call('setTorrentUploadLimit', async () => {
  await client.setTorrentUploadLimit(hash, 524288);
  check((await client.getTorrentUploadLimit(hash))[hash] === 524288, 'upload limit');
});
await call('getTorrentUploadLimit', async () => check(magnetHash in (await client.getTorrentUploadLimit([hash, magnetHash])), 'limits'));
await call('setTorrentCategory', async () => {
  await client.setTorrentCategory(magnetHash, 'tv');
  check((await client.getTorrent(magnetHash)).label === 'tv', 'category');
});
await call('resetTorrentCategory', async () => {
  await client.resetTorrentCategory(magnetHash);
  check((await client.getTorrent(magnetHash)).label === '', 'category kept');
});
await call('addTorrentTags', async () => {
  await client.addTorrentTags(hash, 'haul,homarr');
  check((await client.getTorrent(hash)).tags.includes('homarr'), 'tags');
});
await call('removeTorrentTags', async () => {
  await client.removeTorrentTags(hash, 'homarr');
  check(!(await client.getTorrent(hash)).tags.includes('homarr'), 'tag kept');
});
await call('deleteTags', async () => {
  await client.deleteTags('homarr');
  check(!(await client.getTags()).includes('homarr'), 'tag kept');
});
await call('queueUp', async () => {
  const before = (await client.getTorrent(magnetHash)).queuePosition;
  await client.queueUp(magnetHash);
  check((await client.getTorrent(magnetHash)).queuePosition < before, 'not up');
});
await call('queueDown', async () => {
  const before = (await client.getTorrent(magnetHash)).queuePosition;
  await client.queueDown(magnetHash);
  check((await client.getTorrent(magnetHash)).queuePosition > before, 'not down');
});
await call('topPriority', async () => {
  await client.topPriority(magnetHash);
  check((await client.getTorrent(magnetHash)).queuePosition === 1, 'not top');
});
await call('bottomPriority', async () => {
  await client.bottomPriority(magnetHash);
  check((await client.getTorrent(magnetHash)).queuePosition === 2, 'not bottom');
});
await call('startTorrent', async () => {
  await client.startTorrent(hash);
  check((await client.getTorrent(hash)).state !== 'paused', 'still paused');
});
await call('resumeTorrent', async () => {
  await client.resumeTorrent(magnetHash);
  check((await client.getTorrent(magnetHash)).state !== 'paused', 'still paused');
});
await call('torrentPeers', async () => {
  // the seeder (qbittorrent-nox) keeps connecting to the engine while this runs
  const seen = async () => Object.values((await client.torrentPeers(hash)).peers ?? {}).some(peer => peer.ip === '127.0.0.1');
  await eventually(seen, 'the seeder is not among the peers');
});
await call('recheckTorrent', async () => check(await client.recheckTorrent(hash), 'recheck'));
await call('reannounceTorrent', async () => check(await client.reannounceTorrent(hash), 'reannounce'));
await call('stopTorrent', async () => {
  await client.stopTorrent(hash);
  check((await client.getTorrent(hash)).state === 'paused', 'not stopped');
});
await call('pauseTorrent', async () => {
  await client.pauseTorrent(magnetHash);
  check((await client.getTorrent(magnetHash)).state === 'paused', 'not paused');
});
await call('removeCategory', async () => {
  await client.removeCategory('tv');
  check(!('tv' in (await client.getCategories())), 'category kept');
});
await call('removeTorrent', async () => {
  await client.removeTorrent([hash, magnetHash], true);
  check((await client.listTorrents()).length === 0, 'not removed');
});
await call('logout', async () => check(client.logout(), 'logout'));
process.exit(failures ? 1 : 0);
