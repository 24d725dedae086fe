// opus.pc adds -I.../opus. opus_encoder_ctl is variadic and OPUS_SET_* are macros, so typed
// wrappers for the controls the packet generator uses live in CSottoCodec.
#include <opus.h>
