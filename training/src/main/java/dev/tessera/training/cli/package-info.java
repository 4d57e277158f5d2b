/**
 * Command-line entry points; the only code in this module that prints.
 *
 * <p>{@link dev.tessera.training.cli.Pretrain} trains a GPT ({@code GptModel}, next token) or a
 * BERT-style encoder ({@code BertModel}, masked LM) on a text file. It trains a byte-level BPE
 * tokenizer with {@code <|endoftext|>}, {@code <|mask|>} and {@code <|pad|>} (or loads a
 * tokenizer.json), tokenises the text once into {@code OUT/tokens.bin}, holds out the last 5% of
 * tokens for validation, and checkpoints to {@code OUT/checkpoints} (weights, AdamW moments, data
 * position, masking and dropout generators: a resumed run equals the uninterrupted one bit for bit).
 * A corpus of a few MB and the runs measured for issue 5, with the defaults (vocabulary 1024, 2
 * layers, width 128, 4 heads, context 64, batch 16, 400 steps, lr 3e-3, 20 warmup steps):
 * <pre>
 * find /usr/share/doc -type f \( -name "*.txt" -o -name "README*" -o -name "*.md" \) ! -name "*.gz" \
 *     | LC_ALL=C sort | xargs cat 2&gt;/dev/null | head -c 4000000 &gt; /tmp/corpus.txt
 * mvn -o -q install -DskipTests
 * mvn -q -pl training exec:java -Dexec.mainClass=dev.tessera.training.cli.Pretrain \
 *     -Dexec.args="--objective gpt --text /tmp/corpus.txt --out /tmp/run-gpt --eval-every 50"
 * mvn -q -pl training exec:java -Dexec.mainClass=dev.tessera.training.cli.Pretrain \
 *     -Dexec.args="--objective bert --text /tmp/corpus.txt --out /tmp/run-bert --eval-every 50"
 * # add --stop-after N to stop (with a checkpoint) after step N; re-run with --resume to continue
 * </pre>
 *
 * <p>The BERT run uses rotary positions and pre-LN blocks ({@code --positions rope --norm pre}).
 * With BERT's own layout ({@code --positions learned --norm post}) the encoder sits at the
 * unigram solution (masked accuracy ≈ the most-frequent-token baseline) for many hundreds of steps:
 * a learned position table starts as noise, so no query can find its neighbours until the table
 * has organised itself, and until then the only thing to learn is token frequency. Rotary
 * positions put the relative offset into every query-key product from step 0. Measured on the
 * corpus above with the defaults (2 cores shared with other jobs, load average 11–18):
 * <ul>
 *   <li>rotary, pre-LN (the default): 400 steps, validation loss 5.53 nats vs unigram entropy 6.08,
 *       masked-token accuracy 11.7% vs a 2.8% most-frequent-token baseline (9.6% and 5.81 nats at
 *       step 200). Two runs gave the same figures to the last digit; at load 14 one took 7 min 39 s
 *       wall (997 tokens/s) while getting 48% of one core: 223 s of CPU time for the whole command,
 *       tokenizer training included, so under 4 minutes on two quiet cores;
 *   <li>learned positions, post-LN ({@code --positions learned --norm post --stop-after 200}), same
 *       schedule: at step 200 loss 6.25 nats (above the unigram entropy) and accuracy 2.8%, exactly
 *       the baseline: it predicts the most frequent token everywhere.
 * </ul>
 */
package dev.tessera.training.cli;
