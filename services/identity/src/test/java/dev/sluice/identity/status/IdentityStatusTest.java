package dev.sluice.identity.status;

import dev.sluice.identity.sync.SlapdTestResource;
import dev.sluice.infra.SluiceTestInfra;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.ResourceArg;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;

@QuarkusTest
@QuarkusTestResource(value = SluiceTestInfra.class, restrictToAnnotatedClass = false,
        initArgs = @ResourceArg(name = "postgres", value = "false"))
@QuarkusTestResource(value = SlapdTestResource.class, restrictToAnnotatedClass = false)
class IdentityStatusTest {

    @Test
    void healthIsUp() {
        given().get("/q/health/ready").then().statusCode(200).body("status", equalTo("UP"));
        given().get("/q/health/live").then().statusCode(200).body("status", equalTo("UP"));
    }
}
