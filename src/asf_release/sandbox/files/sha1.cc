/*
SHA-1 in C
By Steve Reid <steve@edmweb.com>
100% Public Domain
 */

#include "sha1.h"

void SHA1Transform(unsigned int state[5], const unsigned char buffer[64]) {
  (void)state;
  (void)buffer;
}
