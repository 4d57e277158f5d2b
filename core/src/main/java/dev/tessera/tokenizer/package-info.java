/**
 * Tokenizers: byte-level BPE identical to OpenAI's tiktoken, Hugging Face tokenizer.json
 * (byte-level BPE, SentencePiece-style BPE and Unigram, BERT WordPiece), a BPE trainer, and
 * batch encoding.
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
 *     files ({@code dev.tessera.cli.TrainBpeCli} on the command line).</li>
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
 * <h2>Unicode version: the running JDK decides</h2>
 * Character categories (letter, number, punctuation, whitespace, mark) come from the running
 * JVM's {@link java.lang.Character} tables: Java 17 and 18 implement Unicode 13.0, Java 19
 * Unicode 14.0, Java 20 and 21 Unicode 15.0, Java 22 and 23 Unicode 15.1, Java 24 and 25
 * Unicode 16.0. tiktoken and Hugging Face tokenizers take categories from the tables built
 * into their Rust libraries, which are newer than Unicode 13. So on Java 17, text with code
 * points first assigned after Unicode 13 is pre-tokenised differently: for example
 * U+1E290 (Toto letter pa, Unicode 14) is an unassigned "other" character on Java 17, so
 * {@code "a"} followed by U+1E290 is two cl100k pieces, and a letter on Java 19 and later, so it
 * is one piece as in tiktoken. The same holds for WordPiece's punctuation and control
 * tests. The tiktoken parity tests (text assigned by Unicode 13.0) pass on Java 17 and on
 * Java 25; for text in newer scripts, run on the newest JDK available (the core module's
 * tests pass on Java 25). jtokkit shares this behaviour.
 *
 * <h2>Limits on files and inputs</h2>
 * <ul>
 * <li>Token ids in tokenizer.json and tiktoken rank files are at most
 *     {@code 2^24 - 1}: ids index arrays, so a corrupt id of two billion would otherwise
 *     allocate gigabytes.</li>
 * <li>A single pre-token of any length is encoded exactly; merging a long piece takes about
 *     5 bytes of memory per UTF-8 byte of it, on top of the text and its UTF-8 copy.</li>
 * </ul>
 */
package dev.tessera.tokenizer;
