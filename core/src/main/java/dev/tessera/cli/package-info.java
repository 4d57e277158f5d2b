/**
 * The command-line side of {@code tessera-core}, which library users do not need: the option
 * parser shared by every Tessera command ({@link dev.tessera.cli.OptionParser}), input-file checks,
 * the one console {@link dev.tessera.cli.ProgressBar} of all commands, and the BPE trainer's
 * command ({@link dev.tessera.cli.TrainBpeCli}). Code here prints; library packages never do (they
 * log through slf4j).
 */
package dev.tessera.cli;
