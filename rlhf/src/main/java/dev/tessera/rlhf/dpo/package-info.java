/**
 * Direct preference optimisation: the sigmoid loss and a trainer whose reference log-probabilities are computed once.
 */
package dev.tessera.rlhf.dpo;
