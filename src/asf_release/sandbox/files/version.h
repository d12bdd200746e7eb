/*
@HEADER@
 */

#pragma once

#ifndef SAMPLE_VERSION
#define SAMPLE_VERSION "unknown"
#endif

inline const char *VersionString() { return SAMPLE_VERSION; }
