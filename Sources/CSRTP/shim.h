// libsrtp2.pc adds no -I, so the headers keep their srtp2/ prefix.
#include <srtp2/srtp.h>
#include <srtp2/cipher.h>
#include <srtp2/auth.h>
