/*
SHA-1 in C
By Steve Reid <steve@edmweb.com>
100% Public Domain
 */

#pragma once

void SHA1Transform(unsigned int state[5], const unsigned char buffer[64]);
