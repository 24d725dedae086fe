// See CSottoCodec.h: each function is one opus_encoder_ctl request with its argument typed.
#include "CSottoCodec.h"

int CSottoCodec_opus_set_bitrate(OpusEncoder *encoder, opus_int32 bitsPerSecond) {
    return opus_encoder_ctl(encoder, OPUS_SET_BITRATE(bitsPerSecond));
}
