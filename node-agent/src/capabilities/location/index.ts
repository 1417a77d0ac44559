export { createLocationProvider, FIXED_DEFAULT_ACCURACY_METERS, LocationErrorCode, type LocationProviderSettings } from './provider.js';
export { DEFAULT_GPS_ACCURACY_METERS, probeTcp, readGpsdFix, tpvToLocation, type GpsdEndpoint, type GpsdReadOptions } from './gpsd.js';
export { parseWhereAmI, probeGeoclue, readGeoclueFix, type GeoclueOptions } from './geoclue.js';
export { PRECISE_ACCURACY_METERS, type SourceFailureKind, type SourceOutcome } from './types.js';
