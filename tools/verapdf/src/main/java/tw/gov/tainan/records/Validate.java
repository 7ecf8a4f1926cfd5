package tw.gov.tainan.records;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.verapdf.ReleaseDetails;
import org.verapdf.gf.foundry.VeraGreenfieldFoundryProvider;
import org.verapdf.pdfa.Foundries;
import org.verapdf.pdfa.PDFAParser;
import org.verapdf.pdfa.PDFAValidator;
import org.verapdf.pdfa.flavours.PDFAFlavour;
import org.verapdf.pdfa.results.TestAssertion;
import org.verapdf.pdfa.results.ValidationResult;
import org.verapdf.pdfa.validation.profiles.RuleId;

/**
 * Validates many PDFs against a PDF/A profile in one JVM start (the JVM and the
 * validation profiles take seconds to load; a file takes a fraction of that).
 *
 * <pre>java -cp ... tw.gov.tainan.records.Validate FLAVOUR [PATH ...]</pre>
 *
 * FLAVOUR is a veraPDF flavour id ("2b", "2u", "1b", ...) or "auto": the part and
 * level the file itself declares in its XMP metadata. Without PATH arguments the
 * paths are read from standard input, one a line. One JSON object per file is
 * written to standard output as soon as that file is done (JSON Lines); a file
 * that cannot be parsed gets an "error" instead of failing the whole run.
 * "--version" prints the library version.
 */
public final class Validate {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** failed checks kept per rule: enough for a message, bounded for huge documents */
    private static final int CHECKS_PER_RULE = 3;

    private Validate() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: Validate FLAVOUR|auto [PATH ...] | --version");
            System.exit(2);
        }
        VeraGreenfieldFoundryProvider.initialise();
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        if (args[0].equals("--version")) {
            out.println(JSON.writeValueAsString(Map.of("validator", "veraPDF", "version", version())));
            return;
        }
        String flavourId = args[0];
        List<String> paths = new ArrayList<>(List.of(args).subList(1, args.length));
        if (paths.isEmpty()) {
            BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (!line.isBlank()) {
                    paths.add(line);
                }
            }
        }
        for (String path : paths) {
            out.println(JSON.writeValueAsString(validateOne(path, flavourId)));
        }
    }

    static String version() {
        return ReleaseDetails.getDetails().stream()
                .filter(d -> d.getId().contains("validation-model") || d.getId().contains("core"))
                .map(ReleaseDetails::getVersion)
                .findFirst()
                .orElse(ReleaseDetails.defaultInstance().getVersion());
    }

    static Map<String, Object> validateOne(String path, String flavourId) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("path", path);
        row.put("validator", "veraPDF");
        row.put("version", version());
        boolean auto = flavourId.equals("auto");
        PDFAFlavour wanted = auto ? PDFAFlavour.NO_FLAVOUR : PDFAFlavour.fromString(flavourId);
        try (PDFAParser parser = auto
                ? Foundries.defaultInstance().createParser(new File(path))
                : Foundries.defaultInstance().createParser(new File(path), wanted)) {
            PDFAFlavour flavour = auto ? parser.getFlavour() : wanted;
            row.put("profile", profileName(flavour));
            if (flavour == PDFAFlavour.NO_FLAVOUR) {
                row.put("compliant", false);
                row.put("failed_rules", List.of());
                row.put("declared", false);
                return row;
            }
            PDFAValidator validator =
                    Foundries.defaultInstance().createValidator(flavour, CHECKS_PER_RULE, false, true, false);
            ValidationResult result = validator.validate(parser);
            row.put("compliant", result.isCompliant());
            row.put("failed_rules", failedRules(result));
            row.put("declared", true);
        } catch (Exception e) {
            row.put("profile", auto ? null : profileName(wanted));
            row.put("compliant", false);
            row.put("failed_rules", List.of());
            row.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return row;
    }

    static String profileName(PDFAFlavour flavour) {
        if (flavour == PDFAFlavour.NO_FLAVOUR) {
            return null;
        }
        return "PDF/A-" + flavour.getId().toUpperCase();
    }

    static List<Map<String, Object>> failedRules(ValidationResult result) {
        Map<RuleId, Map<String, Object>> rules = new LinkedHashMap<>();
        for (TestAssertion a : result.getTestAssertions()) {
            if (a.getStatus() != TestAssertion.Status.FAILED) {
                continue;
            }
            rules.computeIfAbsent(a.getRuleId(), id -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rule", id.getClause() + "-" + id.getTestNumber());
                r.put("specification", id.getSpecification().toString());
                r.put("description", a.getMessage());
                r.put("example", a.getErrorMessage());
                return r;
            });
        }
        for (Map.Entry<RuleId, Integer> e : result.getFailedChecks().entrySet()) {
            rules.computeIfAbsent(e.getKey(), id -> {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("rule", id.getClause() + "-" + id.getTestNumber());
                r.put("specification", id.getSpecification().toString());
                return r;
            }).put("failed_checks", e.getValue());
        }
        return new ArrayList<>(rules.values());
    }
}
