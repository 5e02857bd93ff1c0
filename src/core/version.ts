export const keelVersion = "0.1.0";
