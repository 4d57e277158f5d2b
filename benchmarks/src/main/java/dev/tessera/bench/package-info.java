/** JMH benchmarks of Tessera's kernels beside their anchors; see benchmarks/README.md for the naming convention. */
package dev.tessera.bench;
