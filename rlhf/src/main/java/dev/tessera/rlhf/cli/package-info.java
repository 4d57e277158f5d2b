/**
 * The recipe demo's command line, which library users do not need: {@link dev.tessera.rlhf.cli.RecipeCli}
 * (the {@code main} behind {@code mvn -pl rlhf exec:java}), its progress display on the shared
 * {@link dev.tessera.cli.ProgressBar}, and the offline HTML report (tables, SVG line charts of the
 * {@link dev.tessera.rlhf.pipeline.RecipeResult}'s curves, sample answers). Code here prints and
 * writes files for a person to read; the pipeline itself only logs and returns its result.
 */
package dev.tessera.rlhf.cli;
