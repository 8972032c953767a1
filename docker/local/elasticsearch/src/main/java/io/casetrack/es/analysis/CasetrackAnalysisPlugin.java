package io.casetrack.es.analysis;

import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.CharArraySet;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.Tokenizer;
import org.apache.lucene.analysis.charfilter.HTMLStripCharFilter;
import org.apache.lucene.analysis.cjk.CJKAnalyzer;
import org.apache.lucene.analysis.cjk.CJKBigramFilter;
import org.apache.lucene.analysis.cjk.CJKWidthFilter;
import org.apache.lucene.analysis.core.KeywordTokenizer;
import org.apache.lucene.analysis.core.LetterTokenizer;
import org.apache.lucene.analysis.core.UpperCaseFilter;
import org.apache.lucene.analysis.core.WhitespaceTokenizer;
import org.apache.lucene.analysis.miscellaneous.ASCIIFoldingFilter;
import org.apache.lucene.analysis.miscellaneous.TrimFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenFilter;
import org.apache.lucene.analysis.ngram.EdgeNGramTokenizer;
import org.apache.lucene.analysis.ngram.NGramTokenFilter;
import org.apache.lucene.analysis.ngram.NGramTokenizer;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.index.IndexSettings;
import org.elasticsearch.index.analysis.AbstractCharFilterFactory;
import org.elasticsearch.index.analysis.AbstractIndexAnalyzerProvider;
import org.elasticsearch.index.analysis.AbstractTokenFilterFactory;
import org.elasticsearch.index.analysis.AbstractTokenizerFactory;
import org.elasticsearch.index.analysis.Analysis;
import org.elasticsearch.index.analysis.AnalyzerProvider;
import org.elasticsearch.index.analysis.CharFilterFactory;
import org.elasticsearch.index.analysis.NormalizingTokenFilterFactory;
import org.elasticsearch.index.analysis.PreConfiguredTokenFilter;
import org.elasticsearch.index.analysis.TokenFilterFactory;
import org.elasticsearch.index.analysis.TokenizerFactory;
import org.elasticsearch.indices.analysis.AnalysisModule.AnalysisProvider;
import org.elasticsearch.plugins.AnalysisPlugin;
import org.elasticsearch.plugins.Plugin;

import java.io.Reader;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntPredicate;

/**
 * The part of the analysis we need that the Elasticsearch server jar does not have by itself
 * (in the distribution it comes from the {@code analysis-common} module, which Elastic does not
 * publish on Maven Central for 8.x). Everything is a thin wrapper over Lucene's
 * {@code lucene-analysis-common}, which the server jar already depends on.
 *
 * <ul>
 *   <li>analyzer {@code cjk} (optional {@code stopwords}, {@code stopwords_path})</li>
 *   <li>tokenizers {@code ngram}, {@code edge_ngram} ({@code min_gram}, {@code max_gram},
 *       {@code token_chars}: letter, digit, whitespace, punctuation, symbol),
 *       {@code whitespace}, {@code keyword}, {@code letter}</li>
 *   <li>token filters {@code cjk_width}, {@code cjk_bigram} ({@code ignored_scripts},
 *       {@code output_unigrams}), {@code ngram}, {@code edge_ngram} ({@code min_gram},
 *       {@code max_gram}, {@code preserve_original}), {@code asciifolding}
 *       ({@code preserve_original}), {@code trim}, {@code uppercase}</li>
 *   <li>char filter {@code html_strip}</li>
 * </ul>
 * Like Elasticsearch, {@code max_gram - min_gram} is limited by {@code index.max_ngram_diff}.
 */
public class CasetrackAnalysisPlugin extends Plugin implements AnalysisPlugin {

    @Override
    public Map<String, AnalysisProvider<AnalyzerProvider<? extends Analyzer>>> getAnalyzers() {
        return Map.of("cjk", CjkAnalyzerProvider::new);
    }

    @Override
    public Map<String, AnalysisProvider<TokenizerFactory>> getTokenizers() {
        return Map.of(
            "ngram", (is, env, name, s) -> new GramTokenizerFactory(is, name, s, false),
            "edge_ngram", (is, env, name, s) -> new GramTokenizerFactory(is, name, s, true),
            "whitespace", (is, env, name, s) -> simpleTokenizer(is, name, s, WhitespaceTokenizer::new),
            "keyword", (is, env, name, s) -> simpleTokenizer(is, name, s, KeywordTokenizer::new),
            "letter", (is, env, name, s) -> simpleTokenizer(is, name, s, LetterTokenizer::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<TokenFilterFactory>> getTokenFilters() {
        return Map.of(
            "cjk_width", (is, env, name, s) -> normalizing(name, s, CJKWidthFilter::new),
            "cjk_bigram", (is, env, name, s) -> new CjkBigramFilterFactory(name, s),
            "ngram", (is, env, name, s) -> new GramFilterFactory(is, name, s, false),
            "edge_ngram", (is, env, name, s) -> new GramFilterFactory(is, name, s, true),
            "asciifolding", (is, env, name, s) -> {
                boolean preserve = s.getAsBoolean("preserve_original", false);
                return normalizing(name, s, in -> new ASCIIFoldingFilter(in, preserve));
            },
            "trim", (is, env, name, s) -> normalizing(name, s, TrimFilter::new),
            "uppercase", (is, env, name, s) -> normalizing(name, s, UpperCaseFilter::new)
        );
    }

    @Override
    public List<PreConfiguredTokenFilter> getPreConfiguredTokenFilters() {
        return List.of(
            PreConfiguredTokenFilter.singleton("cjk_width", true, CJKWidthFilter::new),
            PreConfiguredTokenFilter.singleton("asciifolding", true, in -> new ASCIIFoldingFilter(in)),
            PreConfiguredTokenFilter.singleton("trim", true, TrimFilter::new),
            PreConfiguredTokenFilter.singleton("uppercase", true, UpperCaseFilter::new)
        );
    }

    @Override
    public Map<String, AnalysisProvider<CharFilterFactory>> getCharFilters() {
        return Map.of("html_strip", (is, env, name, s) -> new AbstractCharFilterFactory(name) {
            @Override
            public Reader create(Reader reader) {
                return new HTMLStripCharFilter(reader);
            }
        });
    }

    // ----------------------------------------------------------------------------------------

    private static TokenizerFactory simpleTokenizer(
        IndexSettings indexSettings,
        String name,
        Settings settings,
        java.util.function.Supplier<Tokenizer> supplier
    ) {
        return new AbstractTokenizerFactory(indexSettings, settings, name) {
            @Override
            public Tokenizer create() {
                return supplier.get();
            }
        };
    }

    private static TokenFilterFactory normalizing(
        String name,
        Settings settings,
        java.util.function.Function<TokenStream, TokenStream> wrap
    ) {
        final class Normalizing extends AbstractTokenFilterFactory implements NormalizingTokenFilterFactory {
            Normalizing() {
                super(name, settings);
            }

            @Override
            public TokenStream create(TokenStream tokenStream) {
                return wrap.apply(tokenStream);
            }
        }
        return new Normalizing();
    }

    private static void checkGramDiff(IndexSettings indexSettings, String name, int min, int max) {
        if (min < 1 || max < min) {
            throw new IllegalArgumentException(
                String.format(Locale.ROOT, "[%s]: invalid gram sizes min_gram=%d max_gram=%d", name, min, max)
            );
        }
        int allowed = indexSettings.getMaxNgramDiff();
        if (max - min > allowed) {
            throw new IllegalArgumentException(
                String.format(
                    Locale.ROOT,
                    "The difference between max_gram and min_gram in NGram Tokenizer must be less than or equal to: [%d] "
                        + "but was [%d]. This limit can be set by changing the [%s] index level setting.",
                    allowed,
                    max - min,
                    IndexSettings.MAX_NGRAM_DIFF_SETTING.getKey()
                )
            );
        }
    }

    static final class CjkAnalyzerProvider extends AbstractIndexAnalyzerProvider<CJKAnalyzer> {
        private final CJKAnalyzer analyzer;

        CjkAnalyzerProvider(IndexSettings indexSettings, Environment env, String name, Settings settings) {
            super(name, settings);
            CharArraySet stopWords = Analysis.parseStopWords(env, settings, CJKAnalyzer.getDefaultStopSet());
            analyzer = new CJKAnalyzer(stopWords);
        }

        @Override
        public CJKAnalyzer get() {
            return analyzer;
        }
    }

    static final class CjkBigramFilterFactory extends AbstractTokenFilterFactory {
        private final int flags;
        private final boolean outputUnigrams;

        CjkBigramFilterFactory(String name, Settings settings) {
            super(name, settings);
            int f = CJKBigramFilter.HAN | CJKBigramFilter.HIRAGANA | CJKBigramFilter.KATAKANA | CJKBigramFilter.HANGUL;
            for (String script : settings.getAsList("ignored_scripts")) {
                switch (script.toLowerCase(Locale.ROOT)) {
                    case "han" -> f &= ~CJKBigramFilter.HAN;
                    case "hiragana" -> f &= ~CJKBigramFilter.HIRAGANA;
                    case "katakana" -> f &= ~CJKBigramFilter.KATAKANA;
                    case "hangul" -> f &= ~CJKBigramFilter.HANGUL;
                    default -> throw new IllegalArgumentException("[" + name + "]: unknown script [" + script + "]");
                }
            }
            this.flags = f;
            this.outputUnigrams = settings.getAsBoolean("output_unigrams", false);
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return new CJKBigramFilter(tokenStream, flags, outputUnigrams);
        }
    }

    static final class GramTokenizerFactory extends AbstractTokenizerFactory {
        private final int minGram;
        private final int maxGram;
        private final boolean edge;
        private final IntPredicate tokenChar;

        GramTokenizerFactory(IndexSettings indexSettings, String name, Settings settings, boolean edge) {
            super(indexSettings, settings, name);
            this.edge = edge;
            this.minGram = settings.getAsInt("min_gram", 1);
            this.maxGram = settings.getAsInt("max_gram", 2);
            if (edge == false) {
                checkGramDiff(indexSettings, name, minGram, maxGram);
            } else if (minGram < 1 || maxGram < minGram) {
                throw new IllegalArgumentException("[" + name + "]: invalid gram sizes");
            }
            this.tokenChar = tokenChars(name, settings.getAsList("token_chars"));
        }

        private static IntPredicate tokenChars(String name, List<String> classes) {
            if (classes.isEmpty()) {
                return null;
            }
            IntPredicate p = c -> false;
            for (String cls : classes) {
                IntPredicate next = switch (cls.toLowerCase(Locale.ROOT)) {
                    case "letter" -> Character::isLetter;
                    case "digit" -> Character::isDigit;
                    case "whitespace" -> Character::isWhitespace;
                    case "punctuation" -> c -> switch (Character.getType(c)) {
                        case Character.START_PUNCTUATION, Character.END_PUNCTUATION, Character.OTHER_PUNCTUATION,
                            Character.CONNECTOR_PUNCTUATION, Character.DASH_PUNCTUATION, Character.INITIAL_QUOTE_PUNCTUATION,
                            Character.FINAL_QUOTE_PUNCTUATION -> true;
                        default -> false;
                    };
                    case "symbol" -> c -> switch (Character.getType(c)) {
                        case Character.MATH_SYMBOL, Character.CURRENCY_SYMBOL, Character.MODIFIER_SYMBOL,
                            Character.OTHER_SYMBOL -> true;
                        default -> false;
                    };
                    default -> throw new IllegalArgumentException(
                        "[" + name + "]: unsupported token_chars class [" + cls + "] (letter, digit, whitespace, punctuation, symbol)"
                    );
                };
                p = p.or(next);
            }
            return p;
        }

        @Override
        public Tokenizer create() {
            if (tokenChar == null) {
                return edge ? new EdgeNGramTokenizer(minGram, maxGram) : new NGramTokenizer(minGram, maxGram);
            }
            final IntPredicate accept = tokenChar;
            if (edge) {
                return new EdgeNGramTokenizer(minGram, maxGram) {
                    @Override
                    protected boolean isTokenChar(int chr) {
                        return accept.test(chr);
                    }
                };
            }
            return new NGramTokenizer(minGram, maxGram) {
                @Override
                protected boolean isTokenChar(int chr) {
                    return accept.test(chr);
                }
            };
        }
    }

    static final class GramFilterFactory extends AbstractTokenFilterFactory {
        private final int minGram;
        private final int maxGram;
        private final boolean preserveOriginal;
        private final boolean edge;

        GramFilterFactory(IndexSettings indexSettings, String name, Settings settings, boolean edge) {
            super(name, settings);
            this.edge = edge;
            this.minGram = settings.getAsInt("min_gram", 1);
            this.maxGram = settings.getAsInt("max_gram", 2);
            this.preserveOriginal = settings.getAsBoolean("preserve_original", false);
            if (edge == false) {
                checkGramDiff(indexSettings, name, minGram, maxGram);
            } else if (minGram < 1 || maxGram < minGram) {
                throw new IllegalArgumentException("[" + name + "]: invalid gram sizes");
            }
        }

        @Override
        public TokenStream create(TokenStream tokenStream) {
            return edge
                ? new EdgeNGramTokenFilter(tokenStream, minGram, maxGram, preserveOriginal)
                : new NGramTokenFilter(tokenStream, minGram, maxGram, preserveOriginal);
        }
    }
}
