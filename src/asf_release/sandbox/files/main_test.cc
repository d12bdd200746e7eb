/*
@HEADER@
 */

#include <cstdio>
#include <cstring>

#include "version.h"

int main() {
  int failures = 0;
  if (std::strlen(VersionString()) == 0) {
    std::printf("FAILED: the version string is empty\n");
    failures++;
  }
  std::printf("%d test(s) failed\n", failures);
  return failures == 0 ? 0 : 1;
}
