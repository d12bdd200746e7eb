/*
@HEADER@
 */

#include <cstdio>
#include <cstring>

#include "version.h"

int main(int argc, char **argv) {
  if (argc > 1 && std::strcmp(argv[1], "--version") == 0) {
    std::printf("@SHORT@ version %s\n", VersionString());
    return 0;
  }
  std::printf("@PRODUCT@ (sample) %s: ready to accept connections\n", VersionString());
  return 0;
}
