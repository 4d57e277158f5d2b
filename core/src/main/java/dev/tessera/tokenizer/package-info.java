/**
 * Tokenizers: byte-level BPE identical to OpenAI's tiktoken, Hugging Face tokenizer.json
 * (byte-level BPE and BERT WordPiece), a BPE trainer, and batch encoding.
 *
 * <h2>Entry points</h2>
 * <ul>
 * <li>{@link dev.tessera.tokenizer.Tokenizers}: {@code r50kBase()}, {@code p50kBase()},
 *     {@code cl100kBase()}, {@code o200kBase()} (rank files from the jtokkit jar),
 *     {@code fromTiktokenFile}, {@code fromTokenizerJson}, {@code wordPiece}.</li>
 * <li>{@link dev.tessera.tokenizer.Tokenizer}: {@code encode}, {@code encodeOrdinary},
 *     {@code encodeWithSpans}, {@code decode} (strict), {@code decodeLossy},
 *     {@code decodeBytes}.</li>
 * <li>{@link dev.tessera.tokenizer.BpeTrainer} with {@link dev.tessera.tokenizer.BpeTrainerConfig},
 *     giving a {@link dev.tessera.tokenizer.TrainedBpe} that writes tiktoken and tokenizer.json
 *     files ({@code dev.tessera.tokenizer.cli.TrainBpeCli} on the command line).</li>
 * <li>{@link dev.tessera.tokenizer.TokenizerJson}: read and write tokenizer.json.</li>
 * <li>{@link dev.tessera.tokenizer.BatchEncoder}: many texts, padding, truncation, masks.</li>
 * </ul>
 *
 * <h2>Policies</h2>
 * <ul>
 * <li>Special tokens: text that spells a special token is ordinary text unless the caller
 *     allows that token for that call ({@code encode(text, Set.of("<|endoftext|>"))}).</li>
 * <li>Pre-tokenisation never backtracks: the tiktoken patterns (and the Llama 3 / Qwen 2
 *     spellings) run on hand-written scanners that are linear in the input; only unknown
 *     Split regexes from tokenizer.json files use {@code java.util.regex} (logged).</li>
 * <li>Lone surrogates in input strings are encoded as U+FFFD, as tiktoken does after Python's
 *     surrogate replacement.</li>
 * <li>Errors name the argument and the expected and actual values.</li>
 * </ul>
 *
 * <h2>Known deviation from tiktoken</h2>
 * Unicode categories come from the running JVM (Java 17: Unicode 13.0). tiktoken's Rust regex
 * uses a later Unicode version, so code points first assigned after Unicode 13 (for example
 * the Toto script, U+1E290..U+1E2AE, Unicode 14) are "other" characters here and letters in
 * tiktoken. jtokkit shares this behaviour. Everything assigned by Unicode 13 matches.
 */
package dev.tessera.tokenizer;
