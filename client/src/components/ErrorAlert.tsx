/** The errors that belong to no field of the form, in the API's own words, as one alert. */
export function ErrorAlert({ messages }: { messages: readonly string[] }) {
  if (messages.length === 0) return null;
  return (
    <div className="alert alert-danger" role="alert">
      {messages.length === 1 ? (
        messages[0]
      ) : (
        <ul className="mb-0">
          {messages.map((message, i) => (
            <li key={i}>{message}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
