/*
 * roundtrip-names.h: hostile chain and interface names against the tools
 * (part of test-render-roundtrip)
 */
#pragma once

#include <glib.h>

/* Appends what went wrong to @failures. Needs root (the caller checked). */
void vfRoundtripNames(GString *failures, gboolean verbose);
