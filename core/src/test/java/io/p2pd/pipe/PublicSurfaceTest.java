package io.p2pd.pipe;

import static org.assertj.core.api.Assertions.assertThat;

import io.p2pd.internal.LoopSafeFuture;
import io.p2pd.net.EventLoops;
import java.lang.module.ModuleDescriptor;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Netty's channel types and the handler adapters are not API: they are internal or package-private. */
class PublicSurfaceTest {

    @Test
    void eventLoopsOffersGroupsNotChannelFactories() {
        List<String> publicMethods = Arrays.stream(EventLoops.class.getDeclaredMethods())
                .filter(m -> Modifier.isPublic(m.getModifiers())).map(Method::getName).sorted().toList();
        assertThat(publicMethods).containsExactly("isEpoll", "isNio", "nativeTransport", "nio", "shared");
    }

    @Test
    void msgHandlerExposesOnlyTheShapesOfItsHandlers() {
        assertThat(Arrays.stream(MsgHandler.class.getDeclaredClasses()).map(Class::getSimpleName)
                .collect(Collectors.toSet())).containsExactlyInAnyOrder("Plain", "InPlace");
        assertThat(Modifier.isPublic(InPlaceAdapter.class.getModifiers())).isFalse();
        assertThat(Modifier.isPublic(PlainAdapter.class.getModifiers())).isFalse();
        // Shared by the library's packages, so public, but in the package that is not exported to users.
        assertThat(LoopSafeFuture.class.getPackageName()).isEqualTo("io.p2pd.internal");
    }

    @Test
    void theInternalPackageIsExportedOnlyToTheProjectsOwnModules() throws Exception {
        Module module = Pipe.class.getModule();
        // Tests may run on the class path; the module's source says the same as its descriptor.
        List<String> exported = module.isNamed()
                ? module.getDescriptor().exports().stream().map(PublicSurfaceTest::describe).toList()
                : Files.readAllLines(Path.of("src/main/java/module-info.java")).stream().map(String::strip)
                        .filter(l -> l.startsWith("exports ")).map(l -> l.substring(8, l.length() - 1)).toList();
        assertThat(exported).containsExactlyInAnyOrder("io.p2pd.pipe", "io.p2pd.net", "io.p2pd.nic", "io.p2pd.stun",
                "io.p2pd.nat", "io.p2pd.turn", "io.p2pd.internal to io.p2pd.cli, io.p2pd.node");
    }

    private static String describe(ModuleDescriptor.Exports e) {
        return e.isQualified() ? e.source() + " to " + String.join(", ", e.targets()) : e.source();
    }
}
