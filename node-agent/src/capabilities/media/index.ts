export { MediaErrorCode, describeRun, ensureOutput, invalidRequest, looksLikePermissionDenied, toolFailure, validateParams } from './errors.js';
export { FFMPEG_BASE_ARGS, H264_MP4_ARGS, readRecordedClip, seconds, type RecordedClip } from './ffmpeg.js';
export { SHARP_MISSING_EFFECT, createImageCodec, encodeJpeg, encodePng, imageLibraryStatus, readImageHeader, type EncodedImage, type ImageCodec, type ImageLibraryStatus, type JpegOptions } from './image.js';
export { parseFfprobeJson, probeMedia, type MediaProbe } from './probe.js';
export { toMediaResult } from './result.js';
export { ToolCancelledError, cancelledError, runTool, succeeded, type ToolRun, type ToolRunOptions } from './run-tool.js';
export { withTempDir } from './temp.js';
export { findTool, installHint, type FoundTool } from './tools.js';
