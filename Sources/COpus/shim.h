// opus.pc adds -I.../opus. opus_encoder_ctl is variadic and OPUS_SET_* are macros, so typed
// wrappers for the controls Sotto uses live in CSottoShims when the packet generator needs them.
#include <opus.h>
