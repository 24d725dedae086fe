// libopusenc.pc adds -I.../opus: Ogg Opus writing for exported recordings.
#include <opusenc.h>
