/**
 * The synthetic instruction task with a rule-based labeller, and the end-to-end RLHF demo on it ({@link dev.tessera.rlhf.demo.RlhfDemo}).
 */
package dev.tessera.rlhf.demo;
