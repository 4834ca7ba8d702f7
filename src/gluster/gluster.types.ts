export type { PoolPeer } from './parsers/pool-list.parser.js';
export type { QuotaLimit } from './parsers/quota-list.parser.js';
export type { GlusterVolumeInfo } from './parsers/volume-info.parser.js';
export type { BrickDetail } from './parsers/volume-status.parser.js';
