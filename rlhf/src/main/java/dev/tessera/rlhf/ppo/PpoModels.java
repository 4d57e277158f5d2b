package dev.tessera.rlhf.ppo;

import dev.tessera.nn.Module;

/**
 * The policy and the critic as one module, so that one checkpoint holds both ({@code policy.*},
 * {@code value.*}). A critic on the policy's trunk owns only its head, so nothing is saved twice.
 */
final class PpoModels extends Module {
    PpoModels(Module policy, Module value) {
        registerModule("policy", policy);
        registerModule("value", value);
    }
}
