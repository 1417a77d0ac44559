export declare const NODE24_VERSION: string;
export declare const OPENCLAW_VERSIONS: string[];
export declare function interopCacheDir(env?: NodeJS.ProcessEnv): string;
export interface PeerPaths {
  node24: string;
  openclaw: Record<string, string>;
}
export declare function peerPaths(cache?: string): PeerPaths;
export declare function ensurePeerInstalled(cache?: string): PeerPaths;
