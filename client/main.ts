import './src/page.css';
import './app/voice-app.ts';
import './pwa/index.ts';
