// Typed wrappers for libopus controls: opus_encoder_ctl is variadic and the OPUS_SET_* requests are
// macros, neither of which Swift can call. Used by the packet generator (sotto-loadgen).
#ifndef CSOTTOSHIMS_OPUS_H
#define CSOTTOSHIMS_OPUS_H

#include <opus.h>

/// OPUS_SET_BITRATE: the target bitrate in bits per second (500 to 512000); returns an OPUS_* status.
static inline int CSottoShims_opus_set_bitrate(OpusEncoder *encoder, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}

#endif
