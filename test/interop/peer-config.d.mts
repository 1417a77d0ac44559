export declare function offlineConfig(extra?: Record<string, unknown>): Record<string, unknown>;
export declare function loopbackGatewayConfig(port: number, token: string): Record<string, unknown>;
export declare function writeOpenclawHome(stateDir: string, config: Record<string, unknown>, node24: string): NodeJS.ProcessEnv;
export declare function randomHexToken(length?: number): string;
