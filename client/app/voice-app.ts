/** The app's entry (imported by client/main.ts): registers <voice-app> and its parts. */
import './voice-app/voice-app.ts';
