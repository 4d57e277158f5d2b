/**
 * Right-padded conversation batches with response masks.
 */
package dev.tessera.rlhf.data;
