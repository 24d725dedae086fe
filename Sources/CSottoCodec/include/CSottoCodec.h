// CSottoCodec: typed wrappers for the libopus controls Sotto uses. It exists because
// opus_encoder_ctl is variadic and the OPUS_SET_* requests are macros, neither of which Swift can
// call. Only the packet generator (sotto-loadgen) encodes audio, so only it imports this target.
#ifndef CSOTTOCODEC_H
#define CSOTTOCODEC_H

#include <opus.h>

/// OPUS_SET_BITRATE: the target bitrate in bits per second (500 to 512000); returns an OPUS_* status.
int CSottoCodec_opus_set_bitrate(OpusEncoder *encoder, opus_int32 bitsPerSecond);

#endif
