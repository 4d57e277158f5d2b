/**
 * Command-line entry points; the only code in this module that prints.
 *
 * <p>{@link dev.tessera.training.cli.Pretrain} trains a GPT (next-token) or a BERT-style encoder
 * (masked LM) on a text file. It trains a byte-level BPE tokenizer with {@code <|endoftext|>},
 * {@code <|mask|>} and {@code <|pad|>} (or loads a tokenizer.json), tokenises the text once into
 * {@code OUT/tokens.bin}, holds out the last 5% of tokens for validation, and checkpoints to
 * {@code OUT/checkpoints}. A corpus of a few MB and the runs measured for issue 5:
 * <pre>
 * find /usr/share/doc -type f \( -name "*.txt" -o -name "README*" -o -name "*.md" \) ! -name "*.gz" \
 *     | LC_ALL=C sort | xargs cat 2&gt;/dev/null | head -c 4000000 &gt; /tmp/corpus.txt
 * mvn -o -q install -pl core,attention -DskipTests
 * mvn -q -pl training exec:java -Dexec.mainClass=dev.tessera.training.cli.Pretrain -Dexec.args="--objective gpt \
 *     --text /tmp/corpus.txt --out /tmp/run-gpt --vocab 1024 --layers 2 --embd 128 --heads 4 --context 64 \
 *     --batch 16 --lr 3e-3 --warmup 20 --steps 400 --eval-every 50 --eval-batches 8 --ckpt-every 100 --time-limit 270"
 * # the same with --objective bert --out /tmp/run-bert (add --mask-prob 0.4 for more signal per step);
 * # re-run with --resume to continue from the newest checkpoint
 * </pre>
 */
package dev.tessera.training.cli;
