// Prints Kafka's Java murmur2 hash and default partition for test keys, as JSON, using the real kafka-clients
// jar: java -cp '.stack/kafka/libs/*' scripts/vectors/Murmur2Vectors.java > tests/fixtures/murmur2-java.json
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.utils.Utils;

public class Murmur2Vectors {
  public static void main(String[] args) {
    String[] words = {"", "kafka", "giberish123456789", "reallylongstringthatwillbemorethan20bytesisntit", "Lamp 💡"};
    StringBuilder out = new StringBuilder("[\n");
    java.util.List<String> keys = new java.util.ArrayList<>(java.util.Arrays.asList(words));
    for (int id = -3; id <= 200; id++) keys.add(Integer.toString(id));
    for (int id : new int[] {1000, 4242, 65535, 1000000, 2147483647, -2147483648}) keys.add(Integer.toString(id));
    for (int i = 0; i < keys.size(); i++) {
      byte[] bytes = keys.get(i).getBytes(StandardCharsets.UTF_8);
      int hash = Utils.murmur2(bytes);
      int p10 = Utils.toPositive(hash) % 10;
      out.append(String.format("  {\"key\": \"%s\", \"murmur2\": %d, \"partition10\": %d}%s\n",
          keys.get(i), hash, p10, i == keys.size() - 1 ? "" : ","));
    }
    System.out.print(out.append("]\n"));
  }
}
