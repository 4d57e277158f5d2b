package dev.tessera.rlhf.chat;

/** Who speaks in a turn of a conversation. */
public enum ChatRole {
    /** Instructions that frame the conversation. */
    SYSTEM("system"),
    /** The person asking. */
    USER("user"),
    /** The model answering: the only role whose tokens are training targets. */
    ASSISTANT("assistant");

    private final String text;

    ChatRole(String text) {
        this.text = text;
    }

    /** The role's name as chat templates write it ({@code "user"}). */
    public String text() {
        return text;
    }
}
